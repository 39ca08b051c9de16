"""Auth and user-management endpoints. Thin: parse, call a service, shape."""

from django.contrib.auth.models import update_last_login
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from apps.audit import actions
from apps.audit.services import audit_record
from apps.core.permissions import IsAdmin

from .. import selectors, services
from ..models import User
from .serializers import (
    LoginSerializer,
    LogoutSerializer,
    PasswordChangeSerializer,
    PasswordResetSerializer,
    RefreshSerializer,
    TokenPairSerializer,
    UserCreateSerializer,
    UserSerializer,
    UserUpdateSerializer,
)


class PublicAuthEndpoint(APIView):
    """An auth endpoint reachable without credentials. It still answers
    refused credentials with 401 and a Bearer challenge, not DRF's 403."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    def get_authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class TokenObtainView(PublicAuthEndpoint):
    """Exchange username and password for an access token (5 minutes) and a
    refresh token. Failed attempts are counted: too many give 429."""

    @extend_schema(request=LoginSerializer, responses={200: TokenPairSerializer},
                   tags=["auth"], auth=[])
    def post(self, request: Request) -> Response:
        data = LoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.auth_login_check(request=request, channel="api", **data.validated_data)
        refresh = RefreshToken.for_user(user)
        update_last_login(None, user)
        return Response({"access": str(refresh.access_token), "refresh": str(refresh)})


class TokenRefreshView(PublicAuthEndpoint):
    """Exchange a refresh token for a new access token and a new refresh token;
    the old refresh token is blacklisted and cannot be used again."""

    @extend_schema(request=RefreshSerializer, responses={200: TokenPairSerializer},
                   tags=["auth"], auth=[])
    def post(self, request: Request) -> Response:
        serializer = RefreshSerializer(data=request.data)
        try:
            serializer.is_valid(raise_exception=True)
        except TokenError as exc:
            raise InvalidToken(exc.args[0]) from exc
        audit_record(actor=serializer.user, action=actions.TOKEN_REFRESHED,
                     target=serializer.user, request=request)
        return Response(serializer.validated_data)


class LogoutView(PublicAuthEndpoint):
    """Blacklist a refresh token. Works with an expired access token too, so
    the refresh token alone is the credential."""

    @extend_schema(request=LogoutSerializer, responses={205: None}, tags=["auth"], auth=[])
    def post(self, request: Request) -> Response:
        serializer = LogoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            refresh = RefreshToken(serializer.validated_data["refresh"])
            refresh.blacklist()
        except TokenError as exc:
            raise InvalidToken(exc.args[0]) from exc
        user = User.objects.filter(pk=refresh.payload.get("user_id")).first()
        if user is not None:
            services.auth_logout_record(user=user, request=request, channel="api")
        return Response(status=status.HTTP_205_RESET_CONTENT)


class MeView(APIView):
    """The signed-in user and their roles."""

    @extend_schema(responses={200: UserSerializer}, tags=["auth"])
    def get(self, request: Request) -> Response:
        return Response(UserSerializer(request.user).data)


class PasswordChangeView(APIView):
    """Change your own password. Every token issued before stops working."""

    @extend_schema(request=PasswordChangeSerializer, responses={204: None}, tags=["auth"])
    def post(self, request: Request) -> Response:
        serializer = PasswordChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_change_own_password(user=request.user, request=request,
                                          **serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserListCreateView(APIView):
    """Administrators list and create users."""

    permission_classes = [IsAuthenticated, IsAdmin]

    @extend_schema(responses={200: UserSerializer(many=True)}, tags=["users"])
    def get(self, request: Request) -> Response:
        from apps.core.pagination import PageNumberPagination

        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(selectors.user_list(user=request.user), request, self)
        return paginator.get_paginated_response(UserSerializer(page, many=True).data)

    @extend_schema(request=UserCreateSerializer, responses={201: UserSerializer}, tags=["users"])
    def post(self, request: Request) -> Response:
        serializer = UserCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_create(created_by=request.user, request=request,
                                    **serializer.validated_data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


class UserDetailView(APIView):
    """Administrators read a user, change names/email, roles, or enable/disable."""

    permission_classes = [IsAuthenticated, IsAdmin]

    def _get(self, request: Request, user_id: int) -> User:
        return get_object_or_404(selectors.user_list(user=request.user), pk=user_id)

    @extend_schema(responses={200: UserSerializer}, tags=["users"])
    def get(self, request: Request, user_id: int) -> Response:
        return Response(UserSerializer(self._get(request, user_id)).data)

    @extend_schema(request=UserUpdateSerializer, responses={200: UserSerializer}, tags=["users"])
    def patch(self, request: Request, user_id: int) -> Response:
        user = self._get(request, user_id)
        serializer = UserUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        roles = data.pop("roles", None)
        is_active = data.pop("is_active", None)
        actor = request.user
        services.user_update(updated_by=actor, user=user, request=request, **data)
        if roles is not None:
            services.user_set_roles(changed_by=actor, user=user, roles=roles, request=request)
        if is_active is False:
            services.user_disable(disabled_by=actor, user=user, request=request)
        elif is_active is True:
            services.user_enable(enabled_by=actor, user=user, request=request)
        return Response(UserSerializer(self._get(request, user_id)).data)


class UserDisableView(APIView):
    permission_classes = [IsAuthenticated, IsAdmin]

    @extend_schema(request=None, responses={200: UserSerializer}, tags=["users"])
    def post(self, request: Request, user_id: int) -> Response:
        user = get_object_or_404(selectors.user_list(user=request.user), pk=user_id)
        services.user_disable(disabled_by=request.user, user=user, request=request)
        return Response(UserSerializer(user).data)


class UserEnableView(APIView):
    permission_classes = [IsAuthenticated, IsAdmin]

    @extend_schema(request=None, responses={200: UserSerializer}, tags=["users"])
    def post(self, request: Request, user_id: int) -> Response:
        user = get_object_or_404(selectors.user_list(user=request.user), pk=user_id)
        services.user_enable(enabled_by=request.user, user=user, request=request)
        return Response(UserSerializer(user).data)


class UserPasswordResetView(APIView):
    permission_classes = [IsAuthenticated, IsAdmin]

    @extend_schema(request=PasswordResetSerializer,
                   responses={204: OpenApiResponse(description="Password set")}, tags=["users"])
    def post(self, request: Request, user_id: int) -> Response:
        user = get_object_or_404(selectors.user_list(user=request.user), pk=user_id)
        serializer = PasswordResetSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_set_password(changed_by=request.user, user=user, request=request,
                                   password=serializer.validated_data["password"])
        return Response(status=status.HTTP_204_NO_CONTENT)
